/*
 * demo.c — what `make run` shows of containers before anyone types
 * `./aerie`: it asks the container manager for three containers — hello,
 * grantprobe reading its image's files through an fs grant, and crasher —
 * and reports how each ended; then it starts httpd, which stays: a
 * container with its image's files and TCP port 80, which make run
 * forwards from 127.0.0.1:8080. It holds only "cm" and its console.
 */
#include <stdio.h>
#include <libaerie/cm.h>
#include <libaerie/runtime.h>

static void show(uint64_t cm, const char *spec)
{
    uint64_t id;
    char err[200] = "";
    struct ae_cm_status st;
    if (ae_cm_create(cm, spec, 1, &id, err, sizeof err)) {
        printf("demo: '%s' refused: %s\n", spec, err);
        return;
    }
    if (ae_cm_wait(cm, id, &st)) {
        printf("demo: container %lu: could not wait for it\n", id);
        return;
    }
    if (st.state == CM_EXITED) {
        printf("demo: container %lu (%s) exited with status %lu\n", id, spec, st.exit_status);
    } else {
        char why[120];
        ae_cm_describe(&st, why, sizeof why);
        printf("demo: container %lu (%s) ended: %s\n", id, spec, why);
    }
    ae_cm_remove(cm, id);
}

int main(void)
{
    uint64_t cm = ae_capenv_lookup("cm");
    if (!cm) {
        printf("demo: needs the cm grant\n");
        return 1;
    }
    show(cm, "image=hello");
    show(cm, "image=grantprobe grant=console,fs args=\"read /motd\"");
    show(cm, "image=crasher");
    uint64_t id;
    char err[200] = "";
    const char *web = "image=httpd grant=console,fs,net ports=tcp:80 net.conns=160 mem=32M "
                      "env=AERIE_NET_TCP_MEM=6291456";
    if (ae_cm_create(cm, web, 1, &id, err, sizeof err))
        printf("demo: '%s' refused: %s\n", web, err);
    else
        printf("demo: container %lu (httpd) serves its /www on TCP port 80\n", id);
    return 0;
}
