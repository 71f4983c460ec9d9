#pragma once
// Reading what a sandboxed process passed to a system call, from the
// supervisor: bytes and strings from its memory (process_vm_readv(2), the
// same ptrace access check as /proc/<pid>/mem without opening a file per
// call) and the targets of /proc links. Observation only: the process may
// change its memory right after (see paths.hpp).
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace airlock::kernel::remote {

// A NUL-terminated string of at most `max` bytes at `address` in `tid`'s
// memory; nullopt when unreadable or unterminated.
std::optional<std::string> read_string(pid_t tid, std::uint64_t address, std::size_t max = 4096);

// Exactly `size` bytes at `address`; false when unreadable.
bool read_bytes(pid_t tid, std::uint64_t address, void* out, std::size_t size);

// readlink(2) of `path`, whatever its length; nullopt on failure.
std::optional<std::string> read_link(const std::string& path);

// The inode of the socket open as `fd` in `tid` ("socket:[N]" in /proc).
std::optional<unsigned long> socket_inode(pid_t tid, int fd);

// Whether the socket open as `fd` in `tid` is a TCP socket (IPv4 or IPv6,
// MPTCP included), from its "system.sockprotoname" attribute (socket(7)
// file systems answer it for /proc/<pid>/fd links); nullopt when that
// cannot be read.
std::optional<bool> is_tcp_socket(pid_t tid, int fd);

// The inode of the TCP socket listening on `port` in `tid`'s network
// namespace (/proc/<tid>/net/tcp and tcp6), if any.
std::optional<unsigned long> listening_socket(pid_t tid, std::uint16_t port);

}  // namespace airlock::kernel::remote
