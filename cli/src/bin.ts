#!/usr/bin/env node
import { main } from "./main.ts";

// Exit as soon as the command is done: `weft dev` must not linger on idle keep-alive sockets.
process.exit(await main(process.argv.slice(2)));
