<#
.SYNOPSIS
  Registers a daily Task Scheduler task that runs a shellsweep sweep of IIS / SharePoint
  web roots and logs, as SYSTEM, at below-normal priority, with a random delay.

.EXAMPLE
  # From an elevated PowerShell, after copying shellsweep.exe to C:\Program Files\shellsweep\
  .\register-task.ps1
  .\register-task.ps1 -Paths 'D:\inetpub\wwwroot','D:\logs\W3SVC1' -At '02:30' -RandomDelay '02:00:00'
  .\register-task.ps1 -Unregister
#>
[CmdletBinding()]
param(
    [string]   $Exe      = 'C:\Program Files\shellsweep\shellsweep.exe',
    [string]   $DataDir  = 'C:\ProgramData\shellsweep',
    [string[]] $Paths    = @(
        'C:\inetpub\wwwroot',
        'C:\inetpub\logs\LogFiles',
        'C:\Program Files\Common Files\microsoft shared\Web Server Extensions\16\TEMPLATE\LAYOUTS',
        'C:\Program Files\Common Files\microsoft shared\Web Server Extensions\16\LOGS',
        'C:\Windows\Microsoft.NET\Framework64\v4.0.30319\Temporary ASP.NET Files'
    ),
    [string]   $ExtraArgs   = '',
    [string]   $At          = '03:00',
    [TimeSpan] $RandomDelay = '01:00:00',
    [string]   $TaskName    = 'shellsweep sweep',
    [switch]   $Unregister
)
$ErrorActionPreference = 'Stop'

if ($Unregister) {
    Unregister-ScheduledTask -TaskName $TaskName -Confirm:$false
    return
}
if (-not (Test-Path -LiteralPath $Exe)) { throw "shellsweep not found at $Exe (use -Exe)" }

# State and findings live in a folder only SYSTEM and Administrators can write.
New-Item -ItemType Directory -Force -Path $DataDir | Out-Null
icacls $DataDir /inheritance:r /grant:r 'SYSTEM:(OI)(CI)F' 'Administrators:(OI)(CI)F' | Out-Null

# Every path stays in the task, with --skip-missing: a folder that is missing today (IIS logs
# before the first request, a SharePoint hive installed later) is passed over with an event
# line in findings.jsonl instead of failing the sweep, and scanned once it exists.
$missing  = $Paths | Where-Object { -not (Test-Path -LiteralPath $_) }
foreach ($m in $missing) { Write-Warning "not found now, skipped until it exists: $m" }
if (@($missing).Count -eq @($Paths).Count) { throw 'none of the paths exist; pass -Paths' }

$quoted = ($Paths | ForEach-Object { '"{0}"' -f $_ }) -join ' '
$arguments = ('scan --state "{0}\state.json" --format jsonl -o "{0}\findings.jsonl" -q --skip-missing {1} {2}' -f $DataDir, $ExtraArgs, $quoted)

$action   = New-ScheduledTaskAction -Execute $Exe -Argument $arguments -WorkingDirectory $DataDir
$trigger  = New-ScheduledTaskTrigger -Daily -At $At -RandomDelay $RandomDelay
$principal = New-ScheduledTaskPrincipal -UserId 'SYSTEM' -LogonType ServiceAccount -RunLevel Highest
# Priority 7 = below normal (CPU and I/O); one run at a time; stop a run after 12 hours;
# run a missed sweep when the machine is back.
$settings = New-ScheduledTaskSettingsSet -Priority 7 -MultipleInstances IgnoreNew `
    -ExecutionTimeLimit (New-TimeSpan -Hours 12) -StartWhenAvailable `
    -AllowStartIfOnBatteries -DontStopIfGoingOnBatteries

Register-ScheduledTask -TaskName $TaskName -Action $action -Trigger $trigger `
    -Principal $principal -Settings $settings `
    -Description 'shellsweep: scans web roots and IIS/SharePoint logs; findings in ProgramData\shellsweep\findings.jsonl. Last Run Result 0x1 means findings (a successful sweep); 0x2 means something could not be scanned.' `
    -Force | Out-Null

Write-Host "Registered '$TaskName': $Exe $arguments"
Write-Host "Run it now with: Start-ScheduledTask -TaskName '$TaskName'"
