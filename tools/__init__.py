"""Developer tools run from the repository (not shipped in the image): docs generators."""
