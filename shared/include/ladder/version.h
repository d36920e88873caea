#ifndef LADDER_VERSION_H
#define LADDER_VERSION_H

/* The version of this build, from CMakeLists.txt. */
const char *ldr_version(void);

#endif
