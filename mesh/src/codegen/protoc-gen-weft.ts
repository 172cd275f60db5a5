#!/usr/bin/env node
import { runNodeJs } from "@bufbuild/protoplugin";
import { weftPlugin } from "./plugin.ts";

runNodeJs(weftPlugin);
