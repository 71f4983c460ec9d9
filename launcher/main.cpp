#include "cli/app.hpp"

int main(int argc, char** argv) { return airlock::cli::main(argc, argv); }
