module.exports = require("./build/Release/tiny_addon.node");
