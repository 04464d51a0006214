import * as core from '@actions/core';
import { createContainerAppsAPI } from '@azure/arm-appcontainers/api';
import { get } from '@azure/arm-appcontainers/api/jobs';
import { ClientAssertionCredential } from '@azure/identity';
core.info(String(typeof createContainerAppsAPI) + typeof get + typeof ClientAssertionCredential);
