#ifndef SB_DISPATCH_H
#define SB_DISPATCH_H
/* Routes one request: size check, route lookup (404/405), auth and roles, the handler. */
struct request;
void dispatch(struct request *r);
#endif
