// The CDK app: `npx cdk synth` / `npx cdk deploy`. The config comes from `-c config=path`,
// else MLOPS_CONFIG, else ./mlops.config.json.
import { App } from 'aws-cdk-lib';
import { loadConfig } from '../core/config/load';
import { buildApp } from '../lib/app';

const app = new App();
buildApp(loadConfig(app.node.tryGetContext('config')), { app });
app.synth();
