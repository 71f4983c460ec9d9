module.exports = () => "evil-root works";
