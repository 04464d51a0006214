/**
 * Entry point for both steps of the action (action.yml runs this file as main and as post); the main step
 * saves state 'isPost' so the post run knows which it is, as actions/checkout does.
 */
import * as core from '@actions/core';
import { STATE_IS_POST } from './action/context.js';
import { main } from './action/main.js';
import { post } from './action/post.js';

await (core.getState(STATE_IS_POST) === 'true' ? post() : main());
