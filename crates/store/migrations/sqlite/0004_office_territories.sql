-- An office's territory as rows (region, and a district or '' for the whole
-- region), so that routing an application by address is a query.
CREATE TABLE office_territories (
    office_id UUID NOT NULL REFERENCES offices(id),
    region_code TEXT NOT NULL,
    district TEXT NOT NULL,
    PRIMARY KEY (office_id, region_code, district)
);
CREATE INDEX office_territories_area ON office_territories (region_code, district);

WITH RECURSIVE split(office_id, item, rest) AS (
    SELECT id, '', territory || ',' FROM offices
    UNION ALL
    SELECT office_id, trim(substr(rest, 1, instr(rest, ',') - 1)), substr(rest, instr(rest, ',') + 1)
    FROM split WHERE rest <> ''
)
INSERT OR IGNORE INTO office_territories (office_id, region_code, district)
SELECT office_id,
    CASE WHEN instr(item, '-') > 0 THEN substr(item, 1, instr(item, '-') - 1) ELSE item END,
    CASE WHEN instr(item, '-') > 0 THEN substr(item, instr(item, '-') + 1) ELSE '' END
FROM split WHERE item <> '';

ALTER TABLE offices DROP COLUMN territory;
