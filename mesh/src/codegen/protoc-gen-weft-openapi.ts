#!/usr/bin/env node
import { runNodeJs } from "@bufbuild/protoplugin";
import { openApiPlugin } from "./openapi/plugin.ts";

runNodeJs(openApiPlugin);
