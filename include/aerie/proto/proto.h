/*
 * aerie/proto/proto.h — the shape every service protocol has.
 *
 * A request is an IPC call: the label is the opcode, the words are laid out
 * per opcode in that protocol's header, bulk data travels in memory shared
 * with the service (never byte by byte through message words, except for
 * short text such as log lines). The server learns who calls from the
 * badge of the endpoint capability the client holds; a client cannot
 * forge another's badge.
 *
 * A reply's label is 0 on success or the positive value of a negative
 * AE_* error (aerie/errors.h); its words are meaningful only on success.
 */
#ifndef AERIE_PROTO_H
#define AERIE_PROTO_H

#include <stdint.h>

/* The badge bit of a service's admin capability: root mints "NAME.admin"
 * as a copy of the service's endpoint with this bit set; the service
 * allows its admin operations only through such a capability. */
#define PROTO_ADMIN_BADGE (1ull << 62)

/* Bit 60 below is the fault class in every protocol; bit 61 and bits 59
 * and below are each protocol's own (fs: FS_SESSION_BADGE is bit 61). */

/* The badge bit of fault capabilities: a service that manages threads
 * (the container manager) mints each thread's fault handler capability
 * with this bit. Such a capability carries nothing but the messages the
 * kernel builds (AERIE_INFO_KERNEL); the server loop refuses anything a
 * thread sends through it, so a container cannot use its own fault
 * capability to call the service. */
#define PROTO_FAULT_BADGE (1ull << 60)

/* Reply label <-> status (0 or a negative AE_* value). */
static inline uint64_t proto_label_of(int status) { return status < 0 ? (uint64_t)(-(int64_t)status) : 0; }
static inline int proto_status_of(uint64_t label) { return label ? -(int)label : 0; }

#endif
