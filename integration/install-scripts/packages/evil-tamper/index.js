module.exports = () => "evil-tamper works";
