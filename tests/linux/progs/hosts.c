/*
 * hosts.c — name lookups of the container's own names (docs/LINUX.md,
 * "/etc/hosts"): getaddrinfo and gethostbyname of "localhost" and of the
 * host name give loopback addresses, as a container runtime's /etc/hosts
 * makes them do, in an image that has no /etc/hosts: the first open of it
 * writes one, a file of the container's own. Passes on Linux too (the
 * checks of the file itself are Aerie's only: there it must start out
 * missing).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "check.h"

static bool on_aerie_now(void)
{
    struct utsname u;
    return !uname(&u) && strstr(u.release, "-aerie") != NULL;
}

/* The first IPv4 address getaddrinfo gives for name, or 0. */
static uint32_t v4_of(const char *name)
{
    struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *res = NULL;
    if (getaddrinfo(name, "80", &hints, &res) || !res)
        return 0;
    uint32_t a = ntohl(((struct sockaddr_in *)res->ai_addr)->sin_addr.s_addr);
    freeaddrinfo(res);
    return a;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    bool aerie = on_aerie_now();
    struct stat st;
    if (aerie)                               /* the test image has none */
        CHECK(stat("/etc/hosts", &st) == -1 && errno == ENOENT);
    CHECK(v4_of("localhost") == 0x7f000001);
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
    CHECK(getaddrinfo("localhost", "7000", &hints, &res) == 0 && res);   /* AF_UNSPEC, as most ask */
    bool v4 = false;
    for (struct addrinfo *r = res; r; r = r->ai_next)
        v4 = v4 || (r->ai_family == AF_INET &&
                    ntohl(((struct sockaddr_in *)r->ai_addr)->sin_addr.s_addr) == 0x7f000001);
    CHECK(v4);
    if (res)
        freeaddrinfo(res);
    struct hostent *he = gethostbyname("localhost");
    CHECK(he && he->h_addrtype == AF_INET && ntohl(*(uint32_t *)he->h_addr_list[0]) == 0x7f000001);
    char host[256] = { 0 };
    CHECK(gethostname(host, sizeof host - 1) == 0 && host[0]);
    uint32_t self = v4_of(host);
    CHECK(self != 0);                        /* Python's gethostbyname(gethostname()) */
    if (aerie) {
        CHECK((self >> 24) == 127);
        CHECK(stat("/etc/hosts", &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0644);
        char text[256] = { 0 };
        int fd = open("/etc/hosts", O_RDONLY);
        CHECK(fd >= 0 && read(fd, text, sizeof text - 1) > 0);
        CHECK(strstr(text, "127.0.0.1\tlocalhost\n") && strstr(text, host));
        if (fd >= 0)
            close(fd);
        /* the container's own file: it may change it, and lookups follow */
        fd = open("/etc/hosts", O_WRONLY | O_APPEND);
        CHECK(fd >= 0 && write(fd, "10.1.2.3\tother\n", 15) == 15);
        if (fd >= 0)
            close(fd);
        CHECK(v4_of("other") == 0x0a010203);
        CHECK(unlink("/etc/hosts") == 0);    /* written once a run: gone is gone */
        CHECK(v4_of("localhost") == 0);
        CHECK(stat("/etc/hosts", &st) == -1 && errno == ENOENT);
    }
    return done("hosts");
}
