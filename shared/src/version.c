#include "ladder/version.h"

const char *ldr_version(void)
{
    return LADDER_VERSION;
}
