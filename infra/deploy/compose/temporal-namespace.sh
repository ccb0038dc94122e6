#!/bin/sh
# Creates the complaints namespace once the server answers (idempotent). Its custom search
# attributes are registered by the complaints-setup job (python -m workers.search_attributes).
set -eu
: "${TEMPORAL_ADDRESS:?}" "${TEMPORAL_NAMESPACE:?}"
attempt=0
until temporal operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; do
  attempt=$((attempt + 1))
  if [ "$attempt" -ge 60 ]; then
    echo "temporal at $TEMPORAL_ADDRESS not healthy after 60 tries" >&2
    exit 1
  fi
  sleep 2
done
if temporal operator namespace describe --address "$TEMPORAL_ADDRESS" \
     --namespace "$TEMPORAL_NAMESPACE" >/dev/null 2>&1; then
  echo "namespace $TEMPORAL_NAMESPACE exists"
else
  temporal operator namespace create --address "$TEMPORAL_ADDRESS" \
    --namespace "$TEMPORAL_NAMESPACE" --retention "${TEMPORAL_NAMESPACE_RETENTION:-30d}"
  echo "namespace $TEMPORAL_NAMESPACE created"
fi
