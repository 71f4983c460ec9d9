#pragma once
// airlock's own messages go to stderr through spdlog: "airlock: error: ..."
// for people, or one JSON object per line (--log-format json) for log
// pipelines. The sandboxed command's own output is never touched.
#include <spdlog/spdlog.h>

namespace airlock::logging {

enum class Format { text, json };

// verbosity: -1 quiet (errors only), 0 normal (warnings), 1 info, 2+ debug.
void setup(Format format, int verbosity);

}  // namespace airlock::logging
