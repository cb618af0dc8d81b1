// Jest setupFile: the AWS SDK's warning about Node 20 (a supported test runtime; the action runs on node24).
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';
