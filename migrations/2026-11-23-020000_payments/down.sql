DROP TABLE buyback_ledger;
DROP TABLE receipts;
DROP TABLE orders;
