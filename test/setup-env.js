// Tests run on Node 20; the AWS SDK's end-of-support warning for it is noise here (Lambda runs Node 24).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
