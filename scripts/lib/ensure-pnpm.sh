# Sourced by the scripts in scripts/: makes the pnpm pinned in package.json's packageManager available,
# installing it when the machine lacks it (globally when allowed, else into .cache/pnpm).
want=$(node -p "require('./package.json').packageManager.split('@')[1]")
if [ "$(pnpm --version 2>/dev/null)" != "$want" ]; then
  if ! npm install -g --silent "pnpm@$want" >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$want" ]; then
    npm install --silent --prefix .cache/pnpm "pnpm@$want" >/dev/null
    export PATH="$PWD/.cache/pnpm/node_modules/.bin:$PATH"
  fi
fi
echo "using pnpm $(pnpm --version)"
