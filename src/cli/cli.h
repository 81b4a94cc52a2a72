/* parsweep CLI — one file per verb (internal). Each verb returns the
 * process exit code of SPEC §5: 0 ok, 1 error, 2 usage, 3 samples failed,
 * 4 interrupted. */
#ifndef PSW_CLI_H
#define PSW_CLI_H

enum {
  PSW_EXIT_OK = 0,
  PSW_EXIT_ERROR = 1,
  PSW_EXIT_USAGE = 2,
  PSW_EXIT_FAILED = 3,
  PSW_EXIT_INTERRUPTED = 4,
  /* parsweep worker only: the head never answered, or was lost */
  PSW_EXIT_NO_HEAD = 5,
};

/* Print "parsweep VERB: MSG[: ARG]" and the verb's synopsis on stderr;
 * returns PSW_EXIT_USAGE. */
int psw__cli_usage(const char *verb, const char *synopsis, const char *msg,
                   const char *arg);

/* Parse -j's value: a number of workers >= 0. Returns 0 or -1. */
int psw__cli_workers(const char *s, int *out);

int psw__cmd_run(int argc, char **argv);
int psw__cmd_show(int argc, char **argv);
int psw__cmd_info(int argc, char **argv);
int psw__cmd_submit(int argc, char **argv);
int psw__cmd_status(int argc, char **argv);
int psw__cmd_worker(int argc, char **argv);

#endif /* PSW_CLI_H */
