module.exports = () => "evil-secrets works";
