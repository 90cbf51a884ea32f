// Anchor for the shared test helper library and its precompiled header.
#include "test_paths.h"
