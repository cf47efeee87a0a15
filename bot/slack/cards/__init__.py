"""Pure rendering: an outcome and a clock in, Block Kit out (its JSON, as plain dicts), every
outside string escaped and clipped. No Bolt, no aiohttp, no I/O (an import contract)."""
