module.exports = () => "evil-net works";
