/*
 * banned.h: functions that are too easy to misuse, poisoned so that a use
 * fails to compile.  Include it last, after every system header.
 * Use strlcpy/strlcat (libbsd), snprintf, strtonum or strtol with checks,
 * strsep or strtok_r instead.
 */
#ifndef CS_BANNED_H
#define CS_BANNED_H

#undef strcpy
#undef strcat
#undef sprintf
#undef vsprintf
#undef strtok
#undef atoi
#undef atol
#undef gets
#pragma GCC poison strcpy strcat sprintf vsprintf strtok atoi atol gets

#endif
