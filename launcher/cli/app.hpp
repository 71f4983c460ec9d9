#pragma once

namespace airlock::cli {

// The whole command line; returns the process exit status.
int main(int argc, char** argv);

}  // namespace airlock::cli
