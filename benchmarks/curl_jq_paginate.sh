#!/usr/bin/env bash
# The shell-pipeline way to paginate: curl saves the headers, jq prints the items as NDJSON,
# grep and sed pull the Link rel="next" URL out of the saved headers.
#   curl_jq_paginate.sh URL
set -euo pipefail
url=$1
headers=$(mktemp)
trap 'rm -f "$headers"' EXIT
while [ -n "$url" ]; do
    curl -sS -D "$headers" "$url" | jq -c '.[]'
    url=$(grep -i '^link:' "$headers" | sed -n 's/.*<\([^>]*\)>; *rel="next".*/\1/p' || true)
done
