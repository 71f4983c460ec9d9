#pragma once
// Credentials CI leaves inside the project (filesystem.redact): the job
// token a checkout action stores in .git/config (http.<url>.extraheader, a
// token in a remote URL), a literal _authToken in a project .npmrc. A
// profile that runs package code sees such a file as a read-only copy with
// those entries removed, so git and npm still read the rest. Pure: text in,
// text out; the mount layer binds the copy (mounts::add_file).
#include <string>

namespace airlock::sandbox {

// git config syntax: drops every extraheader key, the [credential] sections'
// entries (helpers run programs and may hold usernames), and the user
// information of every URL value (https://x-access-token:TOKEN@host/...).
std::string redact_git_config(const std::string& text);

// .npmrc: drops per-registry entries ("//host/:_authToken=...") and the
// credential keys (_auth, _authToken, _password, username, email, certfile,
// keyfile), and the user information of URL values.
std::string redact_npmrc(const std::string& text);

// By file name: a git config (".../.git/config"), an .npmrc, or, for any
// other file, every line that holds a credential-looking value or URL user
// information.
std::string redact_file(const std::string& path, const std::string& text);

}  // namespace airlock::sandbox
