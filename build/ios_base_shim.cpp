// Stand-in for std::ios_base_library_init(), which GCC >= 13 emits as a version marker
// (GLIBCXX_3.4.32) in every object that includes <iostream>. libLibTorchSharp.so was built
// that way; Debian 12's libstdc++ (GCC 12) lacks the symbol, so the loader refuses the library.
// The function is never called. What GCC 13's libstdc++ would guarantee instead is that the
// standard streams are constructed before the library's initialisers run: this static does that.
#include <ios>

namespace {
std::ios_base::Init standard_streams_initialised;
}

namespace std {
__attribute__((visibility("default"))) void ios_base_library_init() {}
}
