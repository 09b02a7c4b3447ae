/*
 * inet.h — the IPv4 socket helpers the network test programs (epoll, mmsg,
 * net, tcplo) share: an address from a host-order IP and port, and a UDP
 * socket bound to a port. Included after check.h, which gives printf,
 * errno and strerror.
 */
#ifndef LX_INET_H
#define LX_INET_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

/* ip and port in host order. */
__attribute__((unused)) static struct sockaddr_in addr(uint32_t ip, uint16_t port)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(ip);
    a.sin_port = htons(port);
    return a;
}

/* A UDP socket bound to port on every address; -1 (said why) if not. */
__attribute__((unused)) static int udp_bound(uint16_t port)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = addr(INADDR_ANY, port);
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a)) {
        printf("udp socket on port %u: %s\n", port, strerror(errno));
        return -1;
    }
    return s;
}

#endif
