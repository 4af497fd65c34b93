import { AppShell, Box, Burger, Button, Group, Loader, NavLink, Text, Title } from "@mantine/core";
import { lazy, Suspense } from "react";
import { useDisclosure } from "@mantine/hooks";
import { useTranslation } from "react-i18next";
import { Link, Navigate, Outlet, Route, Routes, useLocation, useMatch } from "react-router";
import { useSession } from "./auth/session";
import { LanguagePicker } from "./components/LanguagePicker";
import { CustomerFinder } from "./customer/CustomerFinder";
import { SignInPage } from "./signin/SignInPage";

// Each screen is its own chunk: the sign-in page and the agenda load without the charting library.
const DashboardPage = lazy(() => import("./dashboard/DashboardPage").then((m) => ({ default: m.DashboardPage })));
const AgendaPage = lazy(() => import("./agenda/AgendaPage").then((m) => ({ default: m.AgendaPage })));
const CustomerPage = lazy(() => import("./customer/CustomerPage").then((m) => ({ default: m.CustomerPage })));
const ReportsPage = lazy(() => import("./reports/ReportsPage").then((m) => ({ default: m.ReportsPage })));
const ImportsPage = lazy(() => import("./imports/ImportsPage").then((m) => ({ default: m.ImportsPage })));
const CashApplicationPage = lazy(() =>
  import("./cashapp/CashApplicationPage").then((m) => ({ default: m.CashApplicationPage })),
);
const ScenariosPage = lazy(() => import("./scenarios/ScenariosPage").then((m) => ({ default: m.ScenariosPage })));
const SettingsPage = lazy(() => import("./settings/SettingsPage").then((m) => ({ default: m.SettingsPage })));
const MobileHome = lazy(() => import("./mobile/MobileHome").then((m) => ({ default: m.MobileHome })));
const MobileAccount = lazy(() => import("./mobile/MobileAccount").then((m) => ({ default: m.MobileAccount })));

export function AppRoutes() {
  return (
    <Routes>
      <Route path="/signin" element={<SignInPage />} />
      <Route element={<SignedIn />}>
        <Route index element={<DashboardPage />} />
        <Route path="agenda" element={<AgendaPage />} />
        <Route path="customers/:entity/:account" element={<CustomerPage />} />
        <Route path="reports" element={<ReportsPage />} />
        <Route path="imports" element={<ImportsPage />} />
        <Route path="cash-application" element={<CashApplicationPage />} />
        <Route path="scenarios" element={<ScenariosPage />} />
        <Route path="settings" element={<SettingsPage />} />
        <Route path="mobile" element={<MobileHome />} />
        <Route path="mobile/accounts/:entity/:account" element={<MobileAccount />} />
        <Route path="*" element={<Navigate to="/" replace />} />
      </Route>
    </Routes>
  );
}

function SignedIn() {
  const { signedIn } = useSession();
  const location = useLocation();
  if (!signedIn) return <Navigate to="/signin" replace state={{ from: location.pathname + location.search }} />;
  return <Shell />;
}

function MenuLink({ to, label, onClick }: { to: string; label: string; onClick(): void }) {
  const active = useMatch({ path: to, end: to === "/" });
  return (
    <NavLink
      component={Link}
      to={to}
      label={label}
      active={Boolean(active)}
      aria-current={active ? "page" : undefined}
      onClick={onClick}
    />
  );
}

function Shell() {
  const { t } = useTranslation();
  const { me, signOut } = useSession();
  const [opened, { toggle, close }] = useDisclosure();
  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 220, breakpoint: "sm", collapsed: { mobile: !opened } }}
      padding="md"
    >
      <a href="#main" className="skip-link">
        {t("nav.skip")}
      </a>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group wrap="nowrap" gap="sm">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label={t("nav.menu")} />
            <Title order={1} size="h4">
              OpenDSO
            </Title>
          </Group>
          <Group wrap="nowrap" gap="xs">
            {/* On a phone the header has no room for it: the sales rep's page has its own search. */}
            <Box visibleFrom="sm">
              <CustomerFinder />
            </Box>
            <Text size="sm" c="dimmed" visibleFrom="sm">
              {me?.name ?? me?.email}
            </Text>
            <LanguagePicker compact />
            <Button variant="subtle" size="xs" onClick={() => void signOut()}>
              {t("nav.signOut")}
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label={t("nav.label")}>
        <MenuLink to="/" label={t("nav.dashboard")} onClick={close} />
        <MenuLink to="/agenda" label={t("nav.agenda")} onClick={close} />
        <MenuLink to="/reports" label={t("reports.menu")} onClick={close} />
        <MenuLink to="/cash-application" label={t("cashapp.menu")} onClick={close} />
        <MenuLink to="/imports" label={t("imports.menu")} onClick={close} />
        <MenuLink to="/scenarios" label={t("scenarios.menu")} onClick={close} />
        <MenuLink to="/settings" label={t("settings.menu")} onClick={close} />
        <MenuLink to="/mobile" label={t("mobile.menu")} onClick={close} />
      </AppShell.Navbar>
      <AppShell.Main id="main" tabIndex={-1}>
        <Suspense fallback={<Loader aria-label="…" />}>
          <Outlet />
        </Suspense>
      </AppShell.Main>
    </AppShell>
  );
}
