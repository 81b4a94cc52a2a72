/* The argument-error case of the conformance suite. */
#include <stdlib.h>
#include <string.h>

#include "conformance.h"

/* Argument errors are found before any communication, identically on every
 * worker, and leave the region usable. */
int case_invalid(psw_ctx_t *ctx, void *arg) {
  (void)arg;
  BEGIN(ctx);
  int rank = psw_rank(ctx), size = psw_size(ctx);
  /* 8-byte buffers: a call that is wrongly accepted must not overflow. */
  int64_t i1 = 1, i2 = 0;
  int64_t *many = xmalloc(sizeof(int64_t) * (size_t)size);
  size_t cnt[1] = {1}, dsp[1] = {0};
  const psw_type_t badt = (psw_type_t)99, badt2 = (psw_type_t)-1;
  const psw_op_t bado = (psw_op_t)99;
  for (int i = 0; i < size; i++)
    many[i] = i;
  int got[40];
  int k = 0;
  /* NULL ctx */
  got[k++] = psw_barrier(NULL);
  got[k++] = psw_bcast(NULL, &i1, 1, PSW_INT32, 0);
  got[k++] = psw_bcast_bytes(NULL, &i1, 4, 0);
  got[k++] = psw_scatter(NULL, many, &i2, 1, PSW_INT32, 0);
  got[k++] = psw_scatterv(NULL, many, cnt, dsp, &i2, 1, PSW_INT32, 0);
  got[k++] = psw_gather(NULL, &i1, 1, many, PSW_INT32, 0);
  got[k++] = psw_gatherv(NULL, &i1, 1, many, cnt, dsp, PSW_INT32, 0);
  got[k++] = psw_allgather(NULL, &i1, 1, many, PSW_INT32);
  got[k++] = psw_reduce(NULL, &i1, &i2, 1, PSW_INT32, PSW_SUM, 0);
  got[k++] = psw_allreduce(NULL, &i1, &i2, 1, PSW_INT32, PSW_SUM);
  got[k++] = psw_for(NULL, 10, task_record, NULL);
  /* bad root */
  got[k++] = psw_bcast(ctx, &i1, 1, PSW_INT32, -1);
  got[k++] = psw_bcast(ctx, &i1, 1, PSW_INT32, size);
  got[k++] = psw_bcast_bytes(ctx, &i1, 4, size);
  got[k++] = psw_scatter(ctx, many, &i2, 1, PSW_INT32, size);
  got[k++] = psw_scatterv(ctx, many, cnt, dsp, &i2, 1, PSW_INT32, -1);
  got[k++] = psw_gather(ctx, &i1, 1, many, PSW_INT32, -1);
  got[k++] = psw_gatherv(ctx, &i1, 1, many, cnt, dsp, PSW_INT32, size);
  got[k++] = psw_reduce(ctx, &i1, &i2, 1, PSW_INT32, PSW_SUM, size);
  got[k++] = psw_reduce(ctx, &i1, &i2, 1, PSW_INT32, PSW_SUM, -1);
  /* bad type */
  got[k++] = psw_bcast(ctx, &i1, 1, badt, 0);
  got[k++] = psw_scatter(ctx, many, &i2, 1, badt2, 0);
  got[k++] = psw_gather(ctx, &i1, 1, many, badt, 0);
  got[k++] = psw_allgather(ctx, &i1, 1, many, badt);
  got[k++] = psw_reduce(ctx, &i1, &i2, 1, badt, PSW_SUM, 0);
  got[k++] = psw_allreduce(ctx, &i1, &i2, 1, badt2, PSW_MAX);
  /* bad op, arithmetic on bytes */
  got[k++] = psw_allreduce(ctx, &i1, &i2, 1, PSW_INT32, bado);
  got[k++] = psw_reduce(ctx, &i1, &i2, 1, PSW_DOUBLE, (psw_op_t)-1, 0);
  got[k++] = psw_allreduce(ctx, &i1, &i2, 1, PSW_BYTE, PSW_SUM);
  got[k++] = psw_allreduce(ctx, &i1, &i2, 1, PSW_BYTE, PSW_MIN);
  got[k++] = psw_reduce(ctx, &i1, &i2, 1, PSW_BYTE, PSW_MAX, 0);
  got[k++] = psw_reduce(ctx, &i1, &i2, 1, PSW_BYTE, PSW_PROD, 0);
  /* no task */
  got[k++] = psw_for(ctx, 10, NULL, NULL);
  got[k++] = psw_for_ex(NULL, 10, task_rec, NULL, NULL);
  got[k++] = psw_for_ex(ctx, 10, NULL, NULL, NULL);
  int nk = k;
  for (int i = 0; i < nk; i++)
    if (got[i] != PSW_ERR_INVAL) {
      fprintf(stderr,
              "[rank %d] invalid call #%d returned %d (%s), not "
              "PSW_ERR_INVAL\n",
              rank, i, got[i], psw_err_name(got[i]));
      CHECK(!"invalid argument gives PSW_ERR_INVAL");
    }
  /* A nested region is refused. */
  int nested = psw_parallel(psw_ctx_manager(ctx), case_info, arg);
  CHECK_EQ(nested, PSW_ERR_NESTED);
  got[nk++] = nested;

  CHECK_EQ(psw_type_size(PSW_INT32), 4);
  CHECK_EQ(psw_type_size(PSW_INT64), 8);
  CHECK_EQ(psw_type_size(PSW_UINT64), 8);
  CHECK_EQ(psw_type_size(PSW_DOUBLE), 8);
  CHECK_EQ(psw_type_size(PSW_BYTE), 1);
  CHECK_EQ(psw_type_size(badt), 0);

  /* Same answers on every worker, and the region still works. */
  int32_t *codes = xmalloc(sizeof(int32_t) * (size_t)nk);
  int32_t *all = xmalloc(sizeof(int32_t) * (size_t)nk * (size_t)size);
  for (int i = 0; i < nk; i++)
    codes[i] = got[i];
  int rc = psw_barrier(ctx);
  COLL_OK(rc, "psw_barrier after invalid calls");
  if (rc == 0) {
    rc = psw_allgather(ctx, codes, (size_t)nk, all, PSW_INT32);
    COLL_OK(rc, "psw_allgather after invalid calls");
  }
  if (rc == 0)
    for (int r = 0; r < size; r++)
      CHECK(memcmp(all + (size_t)r * (size_t)nk, codes,
                   sizeof(int32_t) * (size_t)nk) == 0);
  if (rc == 0)
    rc = t_reduce(ctx, PSW_INT64, PSW_SUM, 3, -1, 77, 0);
  free(codes);
  free(all);
  free(many);
  if (rc)
    return rc;
  END();
}
