/**
 * The tabs on one row: those that do not fit at the pane's width go into a "More" menu
 * (Fluent's overflow), the selected tab always staying on the row.
 */
import {
  Button,
  Menu,
  MenuItem,
  MenuList,
  MenuPopover,
  MenuTrigger,
  Overflow,
  OverflowItem,
  Tab,
  TabList,
  makeStyles,
  useIsOverflowItemVisible,
  useOverflowMenu,
} from "@fluentui/react-components";
import type { TabId } from "./session.tsx";

export interface TabInfo {
  id: TabId;
  label: string;
}

const useStyles = makeStyles({
  // The overflow measures the row: it must not wrap, and must not widen the page.
  row: { display: "flex", alignItems: "center", minWidth: 0, overflow: "hidden" },
  tabs: { flexWrap: "nowrap", minWidth: 0 },
});

export function TabBar(props: {
  tabs: TabInfo[];
  selected: TabId;
  opened: ReadonlySet<TabId>;
  onSelect(tab: TabId): void;
}) {
  const styles = useStyles();
  return (
    <Overflow minimumVisible={2}>
      {/* "More" sits beside the tab list, not in it: a tablist may hold only tabs. */}
      <div className={styles.row}>
        <TabList
          className={styles.tabs}
          size="small"
          selectedValue={props.selected}
          onTabSelect={(_event, data) => props.onSelect(data.value as TabId)}
          aria-label="OfficeLLM features"
        >
          {props.tabs.map(({ id, label }) => (
            <OverflowItem key={id} id={id} priority={id === props.selected ? 2 : 1}>
              <Tab
                value={id}
                id={`tab-${id}`}
                aria-controls={props.opened.has(id) ? `panel-${id}` : undefined}
              >
                {label}
              </Tab>
            </OverflowItem>
          ))}
        </TabList>
        <MoreTabs tabs={props.tabs} onSelect={props.onSelect} />
      </div>
    </Overflow>
  );
}

function MoreTabs(props: { tabs: TabInfo[]; onSelect(tab: TabId): void }) {
  const { ref, isOverflowing, overflowCount } = useOverflowMenu<HTMLButtonElement>();
  if (!isOverflowing) return null;
  return (
    <Menu>
      <MenuTrigger disableButtonEnhancement>
        <Button
          ref={ref}
          size="small"
          appearance="transparent"
          aria-label={`More tabs (${overflowCount})`}
          data-testid="more-tabs"
        >
          More ▾
        </Button>
      </MenuTrigger>
      <MenuPopover>
        <MenuList>
          {props.tabs.map((tab) => (
            <HiddenTab key={tab.id} tab={tab} onSelect={props.onSelect} />
          ))}
        </MenuList>
      </MenuPopover>
    </Menu>
  );
}

function HiddenTab(props: { tab: TabInfo; onSelect(tab: TabId): void }) {
  const visible = useIsOverflowItemVisible(props.tab.id);
  if (visible) return null;
  return <MenuItem onClick={() => props.onSelect(props.tab.id)}>{props.tab.label}</MenuItem>;
}
