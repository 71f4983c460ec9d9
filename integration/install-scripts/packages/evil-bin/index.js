module.exports = () => "evil-bin works";
