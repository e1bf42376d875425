/*
 * banned.h: functions winnow code must not use (git's banned.h).  Include it last.
 */
#ifndef WN_BANNED_H
#define WN_BANNED_H

#define WN_BANNED(func) sorry_##func##_is_banned_in_winnow

#undef strcpy
#define strcpy(x, y) WN_BANNED(strcpy)
#undef strcat
#define strcat(x, y) WN_BANNED(strcat)
#undef sprintf
#define sprintf(...) WN_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) WN_BANNED(vsprintf)
#undef strtok
#define strtok(x, y) WN_BANNED(strtok)
#undef atoi
#define atoi(x) WN_BANNED(atoi)
#undef atol
#define atol(x) WN_BANNED(atol)
#undef gets
#define gets(x) WN_BANNED(gets)
#undef gmtime
#define gmtime(x) WN_BANNED(gmtime)
#undef localtime
#define localtime(x) WN_BANNED(localtime)
#undef system
#define system(x) WN_BANNED(system)

#endif
