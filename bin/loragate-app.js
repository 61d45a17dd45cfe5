#!/usr/bin/env node
// Entry of the installed app (`npm start` in a checkout): reads .env from the working folder, checks its
// environment, then starts Probot's server.
import "../dist/app/main.js";
