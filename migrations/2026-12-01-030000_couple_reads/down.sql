DROP INDEX board_posts_board_id_idx;
