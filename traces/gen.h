/* flowsim — synthetic trace generator (`flowsim gen`). */
#ifndef FS_GEN_H
#define FS_GEN_H
/* Entry point of the `gen` subcommand: argv[0] is "gen". Returns the
 * process exit status (0 ok, 1 usage or parameter error, 2 I/O error).   */
int fs_gen_main(int argc, char **argv);
#endif
