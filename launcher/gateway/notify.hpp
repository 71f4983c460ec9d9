#pragma once
// The supervisor's side of a seccomp user notification for the gateway's
// handoff (handoff.hpp): receiving a connect(), reaching into the caller
// (its socket with pidfd_getfd(2), its sockaddr with process_vm_readv(2)),
// and answering: an errno, a return value, or a descriptor put in place of
// the caller's (SECCOMP_IOCTL_NOTIF_ADDFD with SECCOMP_ADDFD_FLAG_SETFD).
#include <linux/seccomp.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "gateway/handoff.hpp"
#include "util/fd.hpp"

namespace airlock::gateway::notify {

// The next notification, or nullopt when there is none now (the caller
// was interrupted or killed after poll(2) said one was there). Throws
// airlock::SystemError when the listener is unusable.
std::optional<seccomp_notif> receive(int listener);

// Asks the kernel to hand the CPU straight from the waiting caller to the
// listener and back (SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP, Linux 6.6),
// instead of two scheduler wake-ups per call. False where the kernel
// refuses: it is only faster.
bool wake_synchronously(int listener);

// Whether the notification still waits (the caller was not interrupted or
// killed, and its thread id not reused).
bool still_waiting(int listener, std::uint64_t id);

// Answers: the call returns `value`, or fails with `error` (> 0). ENOENT
// from the kernel (the caller is gone) is not an error: false.
bool answer(int listener, std::uint64_t id, std::int64_t value, int error);
// Lets the kernel run the call as made.
bool let_run(int listener, std::uint64_t id);
// Puts `fd` in the caller's descriptor table as `target` (closing what was
// there), with close-on-exec as given. Returns the errno (0: done;
// ENOENT: the caller is gone).
int install(int listener, std::uint64_t id, int fd, int target, bool cloexec);

// The caller's open file `fd` as a descriptor of ours (same open file:
// status flags are shared), through a pidfd of thread `tid`; checked
// against `id` after the pidfd is made, so a reused thread id is never
// reached. Returns the errno on failure (EBADF: `fd` is not open there).
int fetch_descriptor(int listener, std::uint64_t id, pid_t tid, int fd, UniqueFd& out);

// Whether `fd` is close-on-exec in `tid` (/proc/<tid>/fdinfo/<fd>).
bool close_on_exec(pid_t tid, int fd);

// Whether an epoll instance open in `tid` watches `fd` (the socket with
// `inode`), from /proc/<tid>/fd and the epoll descriptors' fdinfo. An event
// loop that registered a socket before connect() would keep watching the
// replaced one after a handoff and never hear of the new one.
bool watched_by_epoll(pid_t tid, int fd, unsigned long inode);

// `length` bytes of a sockaddr at `address` in `tid`'s memory; nullopt when unreadable.
std::optional<sockaddr_storage> read_sockaddr(pid_t tid, std::uint64_t address, std::uint64_t length);

// What the gateway needs to know of a socket (SO_DOMAIN, SO_TYPE,
// SO_PROTOCOL, whether its network namespace's cookie is `host_netns`,
// getsockname, TCP_INFO). A socket whose cookie cannot be read counts as
// the host's. Fields it cannot read keep their defaults.
SocketFacts inspect_socket(int fd, std::uint64_t host_netns);

// A number from /proc/<tid>/status ("Tgid:", "CapEff:" in base 16).
std::optional<unsigned long long> status_number(pid_t tid, const std::string& key, int base = 10);

// Whether `tid` holds `capability` in its effective set.
bool has_capability(pid_t tid, int capability);

// SO_NETNS_COOKIE of a socket: which network namespace it was made in.
std::optional<std::uint64_t> netns_cookie(int fd);

}  // namespace airlock::gateway::notify
