/**
 * Entry point for both steps of the action (action.yml runs this file as main and as post); the main step
 * saves state 'isPost' so the post run knows which it is, as actions/checkout does.
 */
import * as core from '@actions/core';
import { main, STATE_IS_POST } from './main.js';
import { post } from './post.js';

await (core.getState(STATE_IS_POST) === 'true' ? post() : main());
