#!/usr/bin/env python3
"""Records what a real memcached answers to memkit's hostile-input table.

Each case is sent on a fresh connection to a memcached started here (after a
flush_all, so the cache looks empty); the bytes it answers, and whether it
closed the connection, go to hostile_requests.txt, which
//core/protocol:ascii_hostile_test replays through memkit's parser.

    python3 record_hostile.py [/usr/bin/memcached] > hostile_requests.txt

Cases stay independent of cache contents (no get after a set of the same key,
no cas values in replies), and every swallowed data block is sent whole:
memcached holds its error reply until it has swallowed the block.
"""
import socket
import subprocess
import sys
import time

K251 = b'k' * 251
K250 = b'k' * 250
OPQ32 = b'O' + b'o' * 31   # the longest opaque token memcached takes
OPQ33 = b'O' + b'o' * 32
KEYS300 = b' '.join(b'key%04d' % i for i in range(300))
FLAGS17 = b'f h k l s t u v O1 q L P I T1 R1 F1 C1'   # 17 flags: the most mg takes
FLAGS18 = FLAGS17 + b' D1'

CASES = [
    # ---- framing
    ('empty_crlf', b'\r\n'),
    ('empty_lf', b'\n'),
    ('cr_cr_lf', b'\r\r\n'),
    ('spaces_only', b'   \r\n'),
    ('one_char_word', b'a\r\n'),
    ('one_char_word_args', b'a b c\r\n'),
    ('unknown_word', b'foo bar\r\n'),
    ('unknown_uppercase_get', b'GET a\r\n'),
    ('http_request', b'GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
    ('http_short', b'HTTP/1.0\r\n'),
    ('http_prefix_only', b'zzz HTTP/\r\n'),
    ('http_no_slash', b'zzz HTTP\r\nversion\r\n'),
    ('http_after_nul', b'zzz \x00HTTP/1.0\r\nversion\r\n'),
    ('http_in_get_branch', b'gxx / HTTP/1.1\r\nversion\r\n'),
    ('http_get_lowercase', b'get / HTTP/1.1\r\n'),
    ('http_token_22', b' '.join([b'x%d' % i for i in range(22)] + [b'HTTP/1.1', b'y']) + b'\r\n'),
    ('http_token_23', b' '.join([b'x%d' % i for i in range(23)] + [b'HTTP/1.1']) + b'\r\nversion\r\n'),
    ('bare_lf_pipeline', b'get a\nget b\nversion\n'),
    ('nul_ends_line', b'get a\x00b c\r\n'),
    ('nul_in_set_line', b'set k 0 0 1\x00junk\r\nx\r\n'),
    ('cr_inside_token', b'get a\r\r\n'),
    ('tab_is_not_space', b'get\ta\r\n'),
    ('leading_spaces', b'   get a\r\n'),
    ('many_spaces', b'get    a     b   \r\n'),
    ('too_many_tokens_set', b'set a 0 0 1 noreply a b c d e f g h i j k l m n o p q r s t u\r\nx\r\n'),
    ('long_junk_no_newline', b'x' * 3000),
    ('junk_at_limit', b'x' * 2048),
    ('long_junk_with_newline', b'x' * 3000 + b'\r\nversion\r\n'),
    ('junk_past_read_buffer', b'x' * 20000 + b'\r\nversion\r\n'),
    ('long_get_no_newline', b'get ' + b'a ' * 1500),
    ('long_get_100_spaces', b' ' * 100 + b'get ' + b'a ' * 1500),
    ('long_get_101_spaces', b' ' * 101 + b'get ' + b'a ' * 1500),
    ('long_gets_no_newline', b'gets ' + b'a ' * 1500),
    ('long_gat_no_newline', b'gat 1 ' + b'a ' * 1500),
    ('long_get_tab', b'get\t' + b'a ' * 1500),
    ('long_mg_no_newline', b'mg a ' + b'v ' * 1500),
    ('multiget_300_keys', b'get ' + KEYS300 + b'\r\n'),
    ('pipeline_mixed', b'get a\r\nset b 0 0 1\r\nx\r\nmn\r\ndelete c\r\nversion\r\n'),
    # ---- retrieval
    ('get_no_key', b'get\r\n'),
    ('get_space_no_key', b'get \r\n'),
    ('gets_no_key', b'gets\r\n'),
    ('get_unknown_g', b'getx a\r\n'),
    ('bget', b'bget a b\r\n'),
    ('get_key_250', b'get ' + K250 + b'\r\n'),
    ('get_key_251', b'get ' + K251 + b'\r\n'),
    ('get_key_251_second', b'get a ' + K251 + b' b\r\nversion\r\n'),
    ('get_noreply_is_key', b'get a noreply\r\n'),
    ('gat', b'gat 10 a b\r\n'),
    ('gat_no_keys', b'gat 10\r\n'),
    ('gat_no_exptime', b'gat\r\n'),
    ('gat_bad_exptime', b'gat x a\r\n'),
    ('gats_negative_exptime', b'gats -1 a\r\n'),
    ('gat_key_251', b'gat 1 ' + K251 + b'\r\n'),
    # ---- storage
    ('set', b'set a 0 0 1\r\nx\r\n'),
    ('set_lf_line', b'set a 0 0 1\nx\r\n'),
    ('set_noreply', b'set a 0 0 1 noreply\r\nx\r\nversion\r\n'),
    ('set_not_noreply', b'set a 0 0 1 norepl\r\nx\r\n'),
    ('set_zero_length', b'set a 0 0 0\r\n\r\n'),
    ('set_data_with_crlf_inside', b'set a 0 0 4\r\n\r\n\r\n\r\n'),
    ('set_bad_chunk_short', b'set a 0 0 1\r\nxy\r\nversion\r\n'),
    ('set_bad_chunk_long', b'set a 0 0 1\r\nxyz\r\nversion\r\n'),
    ('set_bad_chunk_lf', b'set a 0 0 1\r\nx\nversion\r\n'),
    ('set_bad_chunk_noreply', b'set a 0 0 1 noreply\r\nxy\r\nversion\r\n'),
    ('set_data_lf_only', b'set a 0 0 1\nx\nversion\n'),
    ('set_partial_data', b'set a 0 0 5\r\nab'),
    ('set_negative_length', b'set a 0 0 -1\r\nxx\r\n'),
    ('set_bad_length', b'set a 0 0 abc\r\nxx\r\n'),
    ('set_bad_length_noreply', b'set a 0 0 abc noreply\r\nxx\r\n'),
    ('set_length_suffix', b'set a 0 0 1x\r\nx\r\n'),
    ('set_length_plus', b'set a 0 0 +1\r\nx\r\n'),
    ('set_length_leading_zero', b'set a 0 0 01\r\nx\r\n'),
    ('set_length_tab_prefix', b'set a 0 0 \t1\r\nx\r\n'),
    ('set_length_tab_suffix', b'set a 0 0 1\tfoo\r\nx\r\n'),
    ('set_length_cr_suffix', b'set a 0 0 1\r\r\nx\r\n'),
    ('set_length_int32_wrap', b'set a 0 0 4294967297\r\nx\r\n'),
    ('set_length_int32_negative', b'set a 0 0 4294967295\r\nx\r\n'),
    ('set_length_int_max', b'set a 0 0 2147483647\r\nx\r\n'),
    ('set_length_int_max_less_2', b'set a 0 0 2147483646\r\nx\r\n'),
    ('set_length_long_overflow', b'set a 0 0 99999999999999999999\r\nx\r\n'),
    ('set_flags_negative', b'set a -1 0 1\r\nx\r\n'),
    ('set_flags_2_32', b'set a 4294967296 0 1\r\nx\r\n'),
    ('set_flags_2_64', b'set a 18446744073709551616 0 1\r\nx\r\n'),
    ('set_flags_minus_wrap', b'set a -18446744073709551615 0 1\r\nx\r\n'),
    ('set_flags_minus_zero', b'set a -0 0 1\r\nx\r\n'),
    ('set_exptime_negative', b'set a 0 -5 1\r\nx\r\n'),
    ('set_exptime_overflow', b'set a 0 99999999999999999999 1\r\nx\r\n'),
    ('set_too_large', b'set a 0 0 2000000\r\n' + b'x' * 2000000 + b'\r\nversion\r\n'),
    ('set_too_large_noreply', b'set a 0 0 2000000 noreply\r\n' + b'x' * 2000000 + b'\r\nversion\r\n'),
    ('set_too_large_garbage_tail', b'set a 0 0 2000000\r\n' + b'x' * 2000000 + b'XYversion\r\n'),
    ('set_key_251', b'set ' + K251 + b' 0 0 1\r\nx\r\n'),
    ('set_key_251_noreply', b'set ' + K251 + b' 0 0 1 noreply\r\nx\r\n'),
    ('set_4_tokens', b'set a 0 0\r\nx\r\n'),
    ('set_8_tokens', b'set a 0 0 1 2 3\r\nx\r\n'),
    ('add', b'add a 0 0 1\r\nx\r\n'),
    ('replace_missing', b'replace a 0 0 1\r\nx\r\n'),
    ('append_missing', b'append a 0 0 1\r\nx\r\n'),
    ('prepend_missing', b'prepend a 0 0 1 noreply\r\nx\r\nversion\r\n'),
    ('cas_missing', b'cas a 0 0 1 5\r\nx\r\n'),
    ('cas_no_unique', b'cas a 0 0 1\r\nx\r\n'),
    ('cas_bad_unique', b'cas a 0 0 1 abc\r\nx\r\n'),
    ('cas_negative_unique', b'cas a 0 0 1 -1\r\nx\r\n'),
    ('cas_noreply', b'cas a 0 0 1 1 noreply\r\nx\r\nversion\r\n'),
    ('cas_bad_length', b'cas a 0 0 -1 1\r\nx\r\n'),
    ('add_unknown_a', b'axe a 0 0 1\r\nx\r\n'),
    # ---- delete, incr, decr, touch
    ('delete', b'delete a\r\n'),
    ('delete_hold_zero', b'delete a 0\r\n'),
    ('delete_hold_one', b'delete a 1\r\n'),
    ('delete_noreply', b'delete a noreply\r\nversion\r\n'),
    ('delete_zero_noreply', b'delete a 0 noreply\r\nversion\r\n'),
    ('delete_one_noreply', b'delete a 1 noreply\r\nversion\r\n'),
    ('delete_zero_junk', b'delete a 0 foo\r\n'),
    ('delete_too_many', b'delete a b c d\r\n'),
    ('delete_no_key', b'delete\r\n'),
    ('delete_key_251', b'delete ' + K251 + b'\r\n'),
    ('delete_key_251_noreply', b'delete ' + K251 + b' noreply\r\nversion\r\n'),
    ('incr', b'incr a 1\r\n'),
    ('incr_no_delta', b'incr a\r\n'),
    ('incr_bad_delta', b'incr a x\r\n'),
    ('incr_negative_delta', b'incr a -1\r\n'),
    ('incr_huge_delta', b'incr a 18446744073709551616\r\n'),
    ('incr_noreply', b'incr a 1 noreply\r\nversion\r\n'),
    ('incr_bad_delta_noreply', b'incr a x noreply\r\nversion\r\n'),
    ('incr_extra_token', b'incr a 1 2\r\n'),
    ('incr_too_many', b'incr a 1 2 3\r\n'),
    ('incr_key_251', b'incr ' + K251 + b' 1\r\n'),
    ('decr', b'decr a 1\r\n'),
    ('decr_bad', b'decr a 1.5\r\n'),
    ('unknown_d', b'dance\r\n'),
    ('touch', b'touch a 10\r\n'),
    ('touch_bad', b'touch a x\r\n'),
    ('touch_no_exptime', b'touch a\r\n'),
    ('touch_noreply', b'touch a 1 noreply\r\nversion\r\n'),
    ('touch_bad_noreply', b'touch a x noreply\r\nversion\r\n'),
    ('touch_key_251', b'touch ' + K251 + b' 1\r\n'),
    ('unknown_t', b'tickle a\r\n'),
    # ---- misc text
    ('flush_all', b'flush_all\r\n'),
    ('flush_all_zero', b'flush_all 0\r\n'),
    ('flush_all_negative', b'flush_all -1\r\n'),
    ('flush_all_noreply', b'flush_all noreply\r\nversion\r\n'),
    ('flush_all_zero_noreply', b'flush_all 0 noreply\r\nversion\r\n'),
    ('flush_all_bad', b'flush_all x\r\n'),
    ('flush_all_bad_noreply', b'flush_all x noreply\r\nversion\r\n'),
    ('flush_all_extra', b'flush_all 0 2\r\n'),
    ('flush_all_too_many', b'flush_all 1 2 3\r\n'),
    ('verbosity', b'verbosity 0\r\n'),
    ('verbosity_none', b'verbosity\r\n'),
    ('verbosity_bad', b'verbosity x\r\n'),
    ('verbosity_noreply', b'verbosity 0 noreply\r\nversion\r\n'),
    ('verbosity_bad_noreply', b'verbosity x noreply\r\nversion\r\n'),
    ('verbosity_extra', b'verbosity 0 2\r\n'),
    ('verbosity_too_many', b'verbosity 0 2 3\r\n'),
    ('version', b'version\r\n'),
    ('version_args', b'version x y\r\n'),
    ('quit', b'quit\r\nversion\r\n'),
    ('quit_args', b'quit now\r\nversion\r\n'),
    ('shutdown', b'shutdown\r\nversion\r\n'),
    ('shutdown_graceful', b'shutdown graceful\r\n'),
    ('cache_memlimit', b'cache_memlimit 100\r\n'),
    ('cache_memlimit_none', b'cache_memlimit\r\n'),
    ('cache_memlimit_bad', b'cache_memlimit x\r\n'),
    ('cache_memlimit_bad_noreply', b'cache_memlimit x noreply\r\nversion\r\n'),
    ('cache_memlimit_too_many', b'cache_memlimit 64 1 2\r\n'),
    ('unknown_c', b'cast a\r\n'),
    ('unknown_s', b'sett a\r\n'),
    ('unknown_i', b'increment a 1\r\n'),
    # ---- meta: mn, me
    ('mn', b'mn\r\n'),
    ('mn_args', b'mn foo bar\r\n'),
    ('mn_long_word', b'mnx\r\n'),
    ('meta_unknown', b'mz foo\r\n'),
    ('meta_uppercase', b'MG foo\r\n'),
    ('me_no_key', b'me\r\n'),
    ('me_miss', b'me foo\r\n'),
    ('me_key_251', b'me ' + K251 + b'\r\n'),
    ('me_base64', b'me Zm9v b\r\n'),
    ('me_bad_base64', b'me Zm9 b\r\n'),
    ('me_extra', b'me foo x y\r\n'),
    # ---- meta: mg
    ('mg_no_key', b'mg\r\n'),
    ('mg_space_no_key', b'mg \r\n'),
    ('mg_miss', b'mg foo\r\n'),
    ('mg_miss_flags', b'mg foo s v t c f\r\n'),
    ('mg_miss_quiet', b'mg foo v q\r\nmn\r\n'),
    ('mg_miss_quiet_k_O', b'mg foo q k O123\r\nmn\r\n'),
    ('mg_miss_k_O', b'mg foo k O123 v\r\n'),
    ('mg_miss_O_first', b'mg foo O1 k\r\n'),
    ('mg_opaque_32', b'mg foo ' + OPQ32 + b'\r\n'),
    ('mg_opaque_33', b'mg foo ' + OPQ33 + b'\r\n'),
    ('mg_opaque_33_then_bad_flag', b'mg foo ' + OPQ33 + b' zz\r\n'),
    ('mg_opaque_empty', b'mg foo O\r\n'),
    ('mg_duplicate', b'mg foo v v\r\n'),
    ('mg_digit_flag', b'mg foo 5\r\n'),
    ('mg_high_byte_flag', b'mg foo \x80\r\n'),
    ('mg_del_byte_flag', b'mg foo \x7f\r\n'),
    ('mg_unknown_flag', b'mg foo z\r\n'),
    ('mg_E_flag', b'mg foo E5\r\n'),
    ('mg_x_flag', b'mg foo x\r\n'),
    ('mg_17_flags', b'mg foo ' + FLAGS17 + b'\r\nmn\r\n'),
    ('mg_18_flags', b'mg foo ' + FLAGS18 + b'\r\n'),
    ('mg_key_250', b'mg ' + K250 + b' v\r\n'),
    ('mg_key_251', b'mg ' + K251 + b' v\r\n'),
    ('mg_key_251_bad_flag', b'mg ' + K251 + b' zz\r\n'),
    ('mg_T_missing', b'mg foo T\r\n'),
    ('mg_T_bad', b'mg foo Tx\r\n'),
    ('mg_T_negative', b'mg foo T-1\r\n'),
    ('mg_N_missing', b'mg foo N\r\n'),
    ('mg_R_bad', b'mg foo R1x\r\n'),
    ('mg_M_long', b'mg foo Mxx\r\n'),
    ('mg_M_short', b'mg foo M\r\n'),
    ('mg_F_bad', b'mg foo F-1\r\n'),
    ('mg_C_bad', b'mg foo C-1\r\n'),
    ('mg_C_max', b'mg foo C18446744073709551615\r\n'),
    ('mg_D_bad', b'mg foo D-1\r\n'),
    ('mg_J_bad', b'mg foo Jx\r\n'),
    ('mg_F_then_T_bad', b'mg foo Fx Tx\r\n'),
    ('mg_T_then_F_bad', b'mg foo Tx Fx\r\n'),
    ('mg_T_then_J_bad', b'mg foo Tx Jx\r\n'),
    ('mg_bad_then_duplicate', b'mg foo Tx v v\r\n'),
    ('mg_bad_then_unknown', b'mg foo Jx z\r\n'),
    ('mg_base64', b'mg Zm9v b k v\r\n'),
    ('mg_base64_k_first', b'mg Zm9vYg== k b\r\n'),
    ('mg_base64_bad_pad', b'mg Zm9vYg= b k v\r\n'),
    ('mg_base64_all_pad', b'mg ==== b\r\n'),
    ('mg_base64_not_multiple', b'mg foo b\r\n'),
    ('mg_base64_junk_ignored', b'mg Zm!9v b k\r\n'),
    ('mg_base64_quiet', b'mg Zm9v b q\r\nmn\r\n'),
    ('mg_tab_word', b'mg\tfoo v\r\n'),
    ('mg_spaces', b'mg foo   v   k  \r\n'),
    ('mg_cr_flag', b'mg foo k\r\r\n'),
    # ---- meta: ms
    ('ms_no_key', b'ms\r\n'),
    ('ms_no_length', b'ms foo\r\nxx\r\n'),
    ('ms_bad_length', b'ms foo xx\r\nxx\r\n'),
    ('ms_negative_length', b'ms foo -1\r\nxx\r\n'),
    ('ms_length_wrap', b'ms foo 4294967298\r\nxy\r\nmn\r\n'),
    ('ms', b'ms foo 2\r\nxy\r\n'),
    ('ms_flags_echo', b'ms foo 2 O123 k T0 F5\r\nxy\r\n'),
    ('ms_quiet', b'ms foo 2 q\r\nxy\r\nmn\r\n'),
    ('ms_quiet_bad_chunk', b'ms foo 2 q\r\nxyz\r\nmn\r\n'),
    ('ms_bad_chunk', b'ms foo 2\r\nxyz\r\nmn\r\n'),
    ('ms_duplicate', b'ms foo 2 v v\r\nxy\r\nmn\r\n'),
    ('ms_unknown_flag', b'ms foo 2 zz\r\nxy\r\nmn\r\n'),
    ('ms_quiet_unknown_flag', b'ms foo 2 q zz\r\nxy\r\nmn\r\n'),
    ('ms_mode_invalid', b'ms foo 2 MX\r\nxy\r\nmn\r\n'),
    ('ms_mode_lowercase', b'ms foo 2 Ms\r\nxy\r\nmn\r\n'),
    ('ms_mode_add', b'ms foo 2 ME\r\nxy\r\nmn\r\n'),
    ('ms_mode_set', b'ms foo 2 MS O9\r\nxy\r\n'),
    ('ms_mode_append', b'ms foo 2 MA k\r\nxy\r\n'),
    ('ms_mode_prepend', b'ms foo 2 MP\r\nxy\r\n'),
    ('ms_mode_replace', b'ms foo 2 MR O1\r\nxy\r\n'),
    ('ms_cas_missing', b'ms foo 2 C5 O1 k\r\nxy\r\n'),
    ('ms_mode_invalid_and_long_opaque', b'ms foo 2 MX ' + OPQ33 + b'\r\nxy\r\nmn\r\n'),
    ('ms_opaque_33', b'ms foo 2 ' + OPQ33 + b'\r\nxy\r\nmn\r\n'),
    ('ms_too_large', b'ms foo 2000000\r\n' + b'x' * 2000000 + b'\r\nmn\r\n'),
    ('ms_too_large_quiet', b'ms foo 2000000 q\r\n' + b'x' * 2000000 + b'\r\nmn\r\n'),
    ('ms_key_251', b'ms ' + K251 + b' 2\r\nxy\r\nmn\r\n'),
    ('ms_19_tokens_bad_flag', b'ms foo 2 a b c d e f g h i j k l m n o p\r\nxy\r\nmn\r\n'),
    ('ms_20_tokens', b'ms foo 2 a b c d e f g h i j k l m n o p q\r\nxy\r\nmn\r\n'),
    ('ms_19_tokens', b'ms foo 2 c k s t f h l u I L P q O1 T1 F1 MS\r\nxy\r\nmn\r\n'),
    ('ms_base64_bad', b'ms foo 2 b\r\nxy\r\nmn\r\n'),
    ('ms_base64', b'ms Zm9v 2 b k\r\nxy\r\n'),
    ('ms_F_bad', b'ms foo 2 Fx\r\nxy\r\nmn\r\n'),
    ('ms_invalidate', b'ms foo 2 I\r\nxy\r\n'),
    ('ms_nul_in_line', b'ms foo 2\x00 junk\r\nxy\r\n'),
    ('ms_partial', b'ms foo 5 T0\r\nab'),
    # ---- meta: md
    ('md_no_key', b'md\r\n'),
    ('md_miss', b'md foo\r\n'),
    ('md_miss_quiet', b'md foo q\r\nmn\r\n'),
    ('md_miss_echo', b'md foo C1 O1 k\r\n'),
    ('md_invalidate', b'md foo I T30 O1 k\r\n'),
    ('md_unknown_flag', b'md foo zz\r\n'),
    ('md_duplicate', b'md foo v v\r\n'),
    ('md_bad_T', b'md foo Tx\r\n'),
    ('md_high_byte', b'md foo \x80\r\n'),
    ('md_opaque_33', b'md foo ' + OPQ33 + b'\r\n'),
    ('md_key_251', b'md ' + K251 + b'\r\n'),
    ('md_too_many', b'md foo a b c d e f g h i j k l m n o p q r\r\n'),
    ('md_19_tokens', b'md foo k s t f h l u I L P q O1 T1 F1 C1 MS v\r\nmn\r\n'),
    ('md_base64', b'md Zm9v b k\r\n'),
    ('md_base64_bad', b'md foo b\r\n'),
    # ---- meta: ma
    ('ma_no_key', b'ma\r\n'),
    ('ma_miss', b'ma foo\r\n'),
    ('ma_miss_quiet', b'ma foo q\r\nmn\r\n'),
    ('ma_miss_echo', b'ma foo O7 k t c v\r\n'),
    ('ma_mode_invalid', b'ma foo MX\r\n'),
    ('ma_mode_decr', b'ma foo MD\r\n'),
    ('ma_mode_minus', b'ma foo M-\r\n'),
    ('ma_mode_plus', b'ma foo M+ D5\r\n'),
    ('ma_bad_delta', b'ma foo Dx\r\n'),
    ('ma_bad_initial', b'ma foo Jx\r\n'),
    ('ma_unknown_flag', b'ma foo zz\r\n'),
    ('ma_opaque_33', b'ma foo ' + OPQ33 + b'\r\n'),
    ('ma_mode_invalid_long_opaque', b'ma foo MX ' + OPQ33 + b'\r\n'),
    ('ma_key_251', b'ma ' + K251 + b'\r\n'),
    ('ma_too_many', b'ma foo a b c d e f g h i j k l m n o p q r\r\n'),
]


def escape(data):
    out = []
    for b in data:
        c = chr(b)
        if c == '\\':
            out.append('\\\\')
        elif c == '\r':
            out.append('\\r')
        elif c == '\n':
            out.append('\\n')
        elif c == '\t':
            out.append('\\t')
        elif 32 <= b < 127:
            out.append(c)
        else:
            out.append('\\%03o' % b)
    return ''.join(out)


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else '/usr/bin/memcached'
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    server = subprocess.Popen([binary, '-U', '0', '-l', '127.0.0.1', '-p', str(port), '-u', 'root'])
    try:
        deadline = time.time() + 5
        while True:
            try:
                socket.create_connection(('127.0.0.1', port)).close()
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.02)
        version = None
        print('# Generated by record_hostile.py from a real memcached; do not edit by hand.')
        print('# name<TAB>request bytes<TAB>reply bytes<TAB>closed (1) or not (0), C-escaped.')
        for name, data in CASES:
            c = socket.create_connection(('127.0.0.1', port))
            c.sendall(b'flush_all\r\n')
            assert c.recv(100) == b'OK\r\n'
            c.sendall(data)
            c.settimeout(0.3 if len(data) < 100000 else 1.5)
            out, closed = b'', False
            try:
                while True:
                    chunk = c.recv(65536)
                    if not chunk:
                        closed = True
                        break
                    out += chunk
            except socket.timeout:
                pass
            except ConnectionResetError:
                closed = True
            c.close()
            print('%s\t%s\t%s\t%d' % (name, escape(data), escape(out), closed))
            sys.stdout.flush()
    finally:
        server.terminate()
        server.wait()


if __name__ == '__main__':
    main()
