#!/usr/bin/env bash
# lib_layers.sh SOURCE_DIR BUILD_DIR
# lib/ is layered strictly downward: the table in lib/README.md gives each
# folder a layer, and a file may include only headers of its own folder or of
# a folder in a lower layer. Fails listing every include that points sideways
# or up, and every lib/ folder the table does not name.
set -euo pipefail
src=${1:?usage: lib_layers.sh SOURCE_DIR BUILD_DIR}

declare -A layer
while IFS='|' read -r _ folder rank _; do
  folder=$(echo "$folder" | tr -d ' `/')
  rank=$(echo "$rank" | tr -d ' ')
  [[ "$rank" =~ ^[0-9]+$ ]] || continue
  layer[$folder]=$rank
done < "$src/lib/README.md"
[ "${#layer[@]}" -ge 5 ] || { echo "lib/README.md: no layer table found" >&2; exit 1; }

bad=0
for dir in "$src"/lib/*/; do
  name=$(basename "$dir")
  if [ -z "${layer[$name]+x}" ]; then
    echo "lib/$name/: not in lib/README.md's layer table"
    bad=1
  fi
done

checked=0
while IFS= read -r file; do
  rel=${file#"$src"/lib/}
  own=${rel%%/*}
  own_rank=${layer[$own]:-}
  [ -n "$own_rank" ] || continue
  while IFS= read -r line; do
    target=$(sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"([^"]+)".*/\1/' <<< "$line")
    folder=${target%%/*}
    [ "$folder" != "$target" ] || continue  # same-folder or public header ("cdc.h")
    [ -n "${layer[$folder]+x}" ] || continue  # not a lib/ folder
    checked=$((checked + 1))
    [ "$folder" = "$own" ] && continue
    if [ "${layer[$folder]}" -ge "$own_rank" ]; then
      echo "lib/$rel includes \"$target\": $folder/ is layer ${layer[$folder]}, $own/ is layer $own_rank"
      bad=1
    fi
  done < <(grep -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$file" || true)
done < <(find "$src/lib" -name '*.h' -o -name '*.cc' -o -name '*.inc')

if [ "$bad" -ne 0 ]; then
  echo "lib_layers: FAILED (see lib/README.md)"
  exit 1
fi
echo "lib_layers: $checked includes between lib/ folders, all downward (${#layer[@]} folders)"
