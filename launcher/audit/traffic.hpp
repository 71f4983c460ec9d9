#pragma once
// Pure: the log-only gateway's record (gateway/log_only_record.hpp) folded
// into what the seccomp observer saw. The observer knows each connect() by
// the address it was made to; the gateway knows which name the stub gave
// each synthetic address, what each name resolved to upstream, and what it
// relayed. Together: a connection to a synthetic address is a connection to
// its name, DNS to the stub is no destination of its own, and every name
// looked up is listed.
#include "audit/observations.hpp"
#include "gateway/log_only_record.hpp"

namespace airlock::audit {

void absorb(Observations& seen, const gateway::LogOnlyRecord& traffic);

}  // namespace airlock::audit
