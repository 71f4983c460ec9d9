module.exports = () => "evil-pkg works";
