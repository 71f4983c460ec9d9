module.exports = () => "evil-syscall works";
