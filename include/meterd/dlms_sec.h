/*
 * DLMS/COSEM security suite 0: AES-GCM-128 ciphering of xDLMS APDUs and HLS-GMAC
 * authentication (IEC 62056-5-3:2017 5.3.4 and 5.3.7; DLMS UA 1000-2 "Green Book"
 * Ed. 9 9.2.4, 9.2.7).
 *
 * The core does not implement AES: it calls a struct mtr_crypto_ops given by the edge
 * (OpenSSL on Linux, src/daemon/crypto/; a hardware AES on a Cortex-M4). Everything
 * around it is here: the security header (SC, invocation counter), the IV (system
 * title || invocation counter), the additional authenticated data (SC || AK || ...),
 * and the f(StoC)/f(CtoS) computation of HLS pass 3/4.
 *
 * Ciphered APDU (glo-/ded- service tag or general-glo-ciphering content):
 *   SC (1) | IC (4, big-endian) | ciphertext | T (12, when SC has the A bit 0x10)
 * SC bits: 0x10 authentication, 0x20 encryption, 0x40 key set (0 unicast), 0x80 compression
 * (not supported), low nibble = security suite id.
 */
#ifndef METERD_DLMS_SEC_H
#define METERD_DLMS_SEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterd/compiler.h"
#include "meterd/err.h"

#define MTR_DLMS_SEC_KEY_LEN   16u /**< AES-128 key (EK, AK, KEK). */
#define MTR_DLMS_SEC_TITLE_LEN 8u  /**< System title. */
#define MTR_DLMS_SEC_TAG_LEN   12u /**< GCM tag length of suite 0 (96 bits). */
#define MTR_DLMS_SEC_IV_LEN    12u /**< System title (8) || invocation counter (4). */
#define MTR_DLMS_SEC_HDR_LEN   5u  /**< SC + IC. */

#define MTR_DLMS_SC_AUTH    0x10u /**< Security control: authentication (GCM tag). */
#define MTR_DLMS_SC_ENC     0x20u /**< Security control: encryption. */
#define MTR_DLMS_SC_KEY_SET 0x40u /**< Security control: broadcast key set. */
#define MTR_DLMS_SC_COMPR   0x80u /**< Security control: compression (refused). */

/** AES services the edge provides. Each returns MTR_OK or MTR_EIO (library failure). */
struct mtr_crypto_ops {
    /**
     * AES-128-GCM encryption.
     * @param key 16 bytes; iv 12 bytes; aad/aad_len additional data; pt/n plaintext;
     *        ct output of n bytes (may equal pt); tag output of tag_len (<= 16) bytes.
     */
    enum mtr_err (*gcm_encrypt)(void *ctx,
                                const uint8_t *key,
                                const uint8_t *iv,
                                const uint8_t *aad,
                                size_t aad_len,
                                const uint8_t *pt,
                                size_t n,
                                uint8_t *ct,
                                uint8_t *tag,
                                size_t tag_len);
    /**
     * AES-128-GCM decryption and tag check.
     * @retval MTR_OK    Tag matches (pt holds n bytes).
     * @retval MTR_ECRC  Tag mismatch (pt content undefined).
     * @retval MTR_EIO   Library failure.
     */
    enum mtr_err (*gcm_decrypt)(void *ctx,
                                const uint8_t *key,
                                const uint8_t *iv,
                                const uint8_t *aad,
                                size_t aad_len,
                                const uint8_t *ct,
                                size_t n,
                                uint8_t *pt,
                                const uint8_t *tag,
                                size_t tag_len);
    /** AES key unwrap (RFC 3394) of a 24-byte wrapped key with the KEK; MTR_ECRC if the
     * integrity check fails. Used by Security setup key_transfer. */
    enum mtr_err (*key_unwrap)(
        void *ctx, const uint8_t *kek, const uint8_t *wrapped, size_t n, uint8_t *key_out);
    /** Fill buf with n random bytes (HLS challenges). */
    enum mtr_err (*random)(void *ctx, uint8_t *buf, size_t n);
    void *ctx;
};

/** Keys of one security context. */
struct mtr_dlms_keys {
    uint8_t ek[MTR_DLMS_SEC_KEY_LEN]; /**< Global unicast encryption key. */
    uint8_t ak[MTR_DLMS_SEC_KEY_LEN]; /**< Authentication key. */
};

/**
 * Cipher an APDU: write SC | IC | ciphertext | tag into out.
 * @param[in]  ops      Crypto services.
 * @param[in]  keys     EK and AK.
 * @param[in]  sc       Security control: MTR_DLMS_SC_AUTH and/or MTR_DLMS_SC_ENC (suite 0).
 * @param[in]  ic       Invocation counter of the sender.
 * @param[in]  title    Sender's system title, 8 bytes.
 * @param[in]  apdu     Plain APDU, n bytes.
 * @param[out] out      Output buffer, cap bytes (>= 5 + n + 12).
 * @param[out] out_len  Bytes written.
 * @retval MTR_OK       Done.
 * @retval MTR_EINVAL   NULL argument, or sc without AUTH/ENC, or sc with compression.
 * @retval MTR_ENOSPC   out too small.
 * @retval MTR_EIO      Crypto failure.
 * Spec: IEC 62056-5-3:2017 5.3.4.6 (AAD = SC || AK || [plaintext when auth only]).
 */
MTR_NODISCARD enum mtr_err mtr_dlms_sec_encrypt(const struct mtr_crypto_ops *ops,
                                                const struct mtr_dlms_keys *keys,
                                                uint8_t sc,
                                                uint32_t ic,
                                                const uint8_t title[MTR_DLMS_SEC_TITLE_LEN],
                                                const uint8_t *apdu,
                                                size_t n,
                                                uint8_t *out,
                                                size_t cap,
                                                size_t *out_len);

/**
 * Decipher SC | IC | ciphertext | tag.
 * @param[in]  in       Ciphered content (after the service tag and length), n bytes.
 * @param[in]  title    Sender's system title.
 * @param[out] sc       Security control received.
 * @param[out] ic       Invocation counter received (the caller checks replay).
 * @param[out] out      Plain APDU; cap bytes.
 * @param[out] out_len  Bytes.
 * @retval MTR_OK       Deciphered and, with the A bit, authenticated.
 * @retval MTR_EPROTO   Too short, unknown suite, compression.
 * @retval MTR_ECRC     Authentication tag mismatch (wrong key or tampered).
 * @retval MTR_ENOSPC   out too small.
 * @retval MTR_EIO      Crypto failure.
 */
MTR_NODISCARD enum mtr_err mtr_dlms_sec_decrypt(const struct mtr_crypto_ops *ops,
                                                const struct mtr_dlms_keys *keys,
                                                const uint8_t title[MTR_DLMS_SEC_TITLE_LEN],
                                                const uint8_t *in,
                                                size_t n,
                                                uint8_t *sc,
                                                uint32_t *ic,
                                                uint8_t *out,
                                                size_t cap,
                                                size_t *out_len);

/**
 * HLS-GMAC response: f(challenge) = SC | IC | GMAC(SC || AK || challenge) (tag 12 bytes),
 * 17 bytes, as sent in reply_to_HLS_authentication (server: f(StoC) over the client's
 * challenge CtoS; client: f(CtoS) over StoC).
 * @param[in]  ic     Invocation counter of the sender of the response.
 * @param[in]  title  System title of the sender of the response.
 * @param[out] out    17 bytes.
 * @retval MTR_OK, MTR_EINVAL, MTR_EIO.
 * Spec: IEC 62056-5-3:2017 5.3.7.2 / Green Book 9.2.7.4 (HLS authentication mechanism 5).
 */
MTR_NODISCARD enum mtr_err mtr_dlms_sec_gmac(const struct mtr_crypto_ops *ops,
                                             const struct mtr_dlms_keys *keys,
                                             uint8_t sc,
                                             uint32_t ic,
                                             const uint8_t title[MTR_DLMS_SEC_TITLE_LEN],
                                             const uint8_t *challenge,
                                             size_t challenge_len,
                                             uint8_t out[1u + 4u + MTR_DLMS_SEC_TAG_LEN]);

/**
 * Check a received HLS-GMAC response (17 bytes) against the challenge sent.
 * @retval MTR_OK     Valid.
 * @retval MTR_ECRC   Wrong tag (wrong key).
 * @retval MTR_EPROTO Not 17 bytes or wrong SC.
 */
MTR_NODISCARD enum mtr_err mtr_dlms_sec_gmac_check(const struct mtr_crypto_ops *ops,
                                                   const struct mtr_dlms_keys *keys,
                                                   const uint8_t title[MTR_DLMS_SEC_TITLE_LEN],
                                                   const uint8_t *challenge,
                                                   size_t challenge_len,
                                                   const uint8_t *resp,
                                                   size_t resp_len,
                                                   uint32_t *ic);

#endif /* METERD_DLMS_SEC_H */
